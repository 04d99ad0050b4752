/*
 * stubs.c - weak stand-ins for the peripheral models (lea.c, dma.c, mpy32.c,
 * eusci.c, extfram.c). A module that is not linked in claims no registers, so any access to its
 * registers stops the run with "peripheral register no module models"; its hooks do nothing or fault.
 * The real modules' strong symbols replace these at link time.
 */
#include "core.h"

#define WEAK __attribute__((weak))
#define STUB_MODULE(name) \
    WEAK const twin_region name##_regions[1] = {{0, 0, 0, 0, 0}}; \
    WEAK const unsigned name##_nregions = 0; \
    WEAK void name##_reset(twin_t *m) { (void)m; } \
    WEAK void name##_advance(twin_t *m) { (void)m; }

STUB_MODULE(mpy)
STUB_MODULE(dma)
STUB_MODULE(eusci)
STUB_MODULE(lea)

WEAK void extfram_reset(twin_t *m) { (void)m; }
WEAK void extfram_select(twin_t *m, int selected)
{
    (void)selected;
    (void)m; /* CS edges without an SPI model have no effect */
}
WEAK uint8_t extfram_xfer(twin_t *m, uint8_t mosi)
{
    (void)mosi;
    twin_fault(m, "external FRAM model not linked in");
    return 0xFF;
}
WEAK void dma_trigger(twin_t *m, unsigned trigger)
{
    (void)m;
    (void)trigger; /* no DMA model: triggers go nowhere */
}
