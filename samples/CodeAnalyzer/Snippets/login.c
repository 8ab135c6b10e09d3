#include <stdio.h>
#include <string.h>

#define NAME_MAX_LEN 32

static char last_user[NAME_MAX_LEN];

/* Reads a user name, remembers it and greets the user. */
int main(void)
{
    char name[128];

    printf("Name: ");
    gets(name);

    strcpy(last_user, name);
    printf("Welcome back, %s\n", last_user);
    return 0;
}
