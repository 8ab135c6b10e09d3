#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Adler-32 of one line read from standard input, with bounded reads and writes. */
int main(void)
{
    char line[256];
    char message[64];
    uint32_t a = 1, b = 0;

    if (fgets(line, sizeof line, stdin) == NULL)
    {
        return 1;
    }

    for (size_t i = 0; i < strlen(line); i++)
    {
        a = (a + (unsigned char)line[i]) % 65521;
        b = (b + a) % 65521;
    }

    snprintf(message, sizeof message, "adler32=%08x", (unsigned)((b << 16) | a));
    puts(message);
    return 0;
}
