#include <stdio.h>
#include <stdlib.h>

/* Archives the directory the user names. */
int backup(const char *directory)
{
    char command[256];

    snprintf(command, sizeof command, "tar czf /var/backups/latest.tgz %s", directory);
    return system(command);
}
