#include <stdio.h>

/* Formats one line of a sales report for the given customer. */
void print_report_line(const char *customer, double total)
{
    char line[80];

    sprintf(line, "Customer %s spent %.2f", customer, total);
    printf(line);
    printf("\n");
}
