/* main() of the MSP430 ports (emulator, fr5994): the inference runtime, or the microbenchmarks. */
#include "rt_runtime.h"

void rt_microbench(void);
void rt_loader(void);

int main(void)
{
#if defined(TINAS_MICROBENCH)
    rt_microbench(); /* the microbenchmark image: same HAL, no model */
#elif defined(TINAS_LOADER)
    rt_loader(); /* writes a model received over the UART into the external FRAM */
#else
    rt_main();
#endif
    return 0;
}
