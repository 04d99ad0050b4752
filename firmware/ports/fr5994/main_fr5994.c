#include "rt_runtime.h"

int main(void)
{
    rt_main();
    return 0;
}
