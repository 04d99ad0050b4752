/* main() of the MSP430 ports (emulator, fr5994): the inference runtime, or the microbenchmarks. */
#include "rt_runtime.h"

void rt_microbench(void);

int main(void)
{
#ifdef TINAS_MICROBENCH
    rt_microbench(); /* the microbenchmark image: same HAL, no model */
#else
    rt_main();
#endif
    return 0;
}
