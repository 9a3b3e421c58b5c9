#include <stdio.h>
int main(void)
{
    fputs("mugai: the command line arrives with the engine\n", stderr);
    return 2;
}
