/*
 * extfram.c - the CY15B108QI external SPI F-RAM (8 Mbit = 1 MiB, SPI mode 0/3), as the eUSCI SPI master sees
 * it: one call per complete byte while chip select is low.
 *
 * Source: Cypress/Infineon CY15B108QI datasheet (opcodes, status register, WEL rules, "data is written to the
 * memory array immediately after each byte is successfully transferred", no write delay). The opcode set
 * matches the one TiNAS uses (EMCLab-Sinica/TiNAS, intermittent-inference-library/utils/extfram.c).
 *
 * Modelled: WREN 06h, WRDI 04h, RDSR 05h, WRSR 01h, READ 03h, FSTRD 0Bh (one dummy byte after the address),
 * WRITE 02h, RDID 9Fh, SLEEP B9h (wakes on the next CS falling edge). Unmodelled opcodes (SSWR, SSRD, RUID,
 * DPD...) stop the twin with an error naming the opcode. Addresses are 3 bytes MSB first; the top 4 bits are
 * don't-care and the address wraps at 1 MiB during a burst. Block protect BP1:BP0 (status bits 3:2) protects
 * the upper 1/4, 1/2 or all of the array; WPEN with /WP is not modelled (/WP is tied high on our board).
 *
 * Power loss: bytes completed before the supply is gone are in the array (m->extfram lives in the machine,
 * outside the power-cycled state); a byte cut off mid-shift never reaches extfram_xfer and is lost whole.
 * Whether silicon can leave such a byte partially written is not stated in the datasheet [UNSURE]: the twin
 * keeps the old value.
 */
#include <string.h>
#include "periph.h"

enum xf_phase {
    XF_IDLE,     /* CS high */
    XF_OPCODE,   /* CS low, waiting for the opcode */
    XF_ADDR,     /* collecting the 3 address bytes of READ/FSTRD/WRITE */
    XF_DUMMY,    /* FSTRD dummy byte */
    XF_READ,     /* streaming data out */
    XF_WRITE,    /* streaming data in */
    XF_RDSR,     /* status register out, repeated */
    XF_WRSR,     /* one status byte in */
    XF_RDID,     /* 9 ID bytes out */
    XF_REFUSED,  /* WRITE without WEL: data bytes are clocked in and dropped */
    XF_IGNORE    /* command finished: the rest of this CS-low frame is ignored */
};

/* RDID: 7-byte manufacturer ID (6 x 7Fh continuation codes + C2h, Cypress) then the 2-byte product ID.
 * Product ID 27h 08h is [INFERRED]: the CY15B104Q (4 Mbit) datasheet gives 26h 08h and the FM25V02A (256 kbit)
 * 22h 08h with the density in bits 12:8 (00110b = 4 Mbit, 00010b = 256 kbit), so 8 Mbit is 00111b. */
static const uint8_t xf_device_id[9] = {0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0xC2, 0x27, 0x08};

#define XF_SR_WEL 0x02u
#define XF_SR_BP 0x0Cu
#define XF_SR_WPEN 0x80u
#define XF_MASK (TWIN_EXTFRAM_SIZE - 1u)

typedef struct {
    int selected, sleeping, sleep_pending;
    enum xf_phase phase;
    uint8_t opcode, status; /* status: WPEN, BP1, BP0 are nonvolatile; WEL is volatile */
    uint32_t addr;
    unsigned nbytes;        /* bytes seen in the current phase */
    extfram_stats stats;
} xfram;

static xfram *xf(twin_t *m) { return (xfram *)periph_state(&m->xfram, sizeof(xfram)); }

void extfram_reset(twin_t *m)
{
    xfram *s = xf(m);
    s->selected = 0;
    s->sleeping = 0;
    s->sleep_pending = 0;
    s->phase = XF_IDLE;
    s->status &= (uint8_t)~XF_SR_WEL; /* power-up: WEL cleared, BP/WPEN kept (nonvolatile) */
    twin_set_active(m, TWIN_LOAD_EXTFRAM_ACTIVE, 0);
    twin_set_active(m, TWIN_LOAD_EXTFRAM_STANDBY, 1);
}


const extfram_stats *extfram_get_stats(twin_t *m) { return &xf(m)->stats; }
uint8_t extfram_status(twin_t *m) { return xf(m)->status; }

int extfram_selected(twin_t *m) { return xf(m)->selected; }

/* sys.c calls this on each P5.3 edge (active low). */
void extfram_select(twin_t *m, int selected)
{
    xfram *s = xf(m);
    selected = selected != 0;
    if (selected == s->selected)
        return;
    eusci_cs_edge(m); /* bytes that completed before the edge belong to the old frame */
    s->selected = selected;
    if (selected) {
        s->sleeping = 0; /* CS falling edge wakes the device (datasheet: tREC before the first opcode) */
        s->phase = XF_OPCODE;
        s->nbytes = 0;
    } else {
        /* WEL is cleared on the rising edge of CS that ends WRDI, WRSR and WRITE (datasheet). */
        if (s->opcode == 0x04 || ((s->opcode == 0x01 || s->opcode == 0x02) && s->phase != XF_OPCODE))
            s->status &= (uint8_t)~XF_SR_WEL;
        if (s->sleep_pending)
            s->sleeping = 1;
        s->sleep_pending = 0;
        s->phase = XF_IDLE;
        s->opcode = 0;
    }
    twin_set_active(m, TWIN_LOAD_EXTFRAM_ACTIVE, selected);
    twin_set_active(m, TWIN_LOAD_EXTFRAM_STANDBY, !selected);
}

/* Upper part of the array protected by BP1:BP0: none, upper 1/4, upper 1/2, all. */
static int xf_protected(const xfram *s, uint32_t addr)
{
    switch ((s->status & XF_SR_BP) >> 2) {
    case 1: return addr >= 3u * (TWIN_EXTFRAM_SIZE / 4u);
    case 2: return addr >= TWIN_EXTFRAM_SIZE / 2u;
    case 3: return 1;
    default: return 0;
    }
}

static void xf_opcode(twin_t *m, xfram *s, uint8_t op)
{
    s->opcode = op;
    s->nbytes = 0;
    s->addr = 0;
    switch (op) {
    case 0x06: s->status |= XF_SR_WEL; s->phase = XF_IGNORE; break;          /* WREN */
    case 0x04: s->phase = XF_IGNORE; break;                                     /* WRDI: WEL cleared at CS high */
    case 0x05: s->phase = XF_RDSR; break;                                       /* RDSR */
    case 0x01: s->phase = XF_WRSR; break;                                       /* WRSR */
    case 0x03: case 0x0B: case 0x02: s->phase = XF_ADDR; break;                 /* READ, FSTRD, WRITE */
    case 0x9F: s->phase = XF_RDID; break;                                       /* RDID */
    case 0xB9: s->sleep_pending = 1; s->phase = XF_IGNORE; break;               /* SLEEP at CS high */
    default:
        twin_fault(m, "external FRAM: opcode 0x%02X not modelled (PC 0x%04X)", op, PERIPH_PC(m));
        s->phase = XF_IGNORE;
    }
}

uint8_t extfram_xfer(twin_t *m, uint8_t mosi)
{
    xfram *s = xf(m);
    uint8_t miso = 0xFF; /* SO is high-Z outside data phases; the twin reads it as FFh [UNSURE: no pull-up spec] */
    if (!s->selected)
        return 0xFF;
    switch (s->phase) {
    case XF_IDLE:
        break;
    case XF_OPCODE:
        if (s->sleeping) { /* not reachable: the falling CS edge woke it */
            s->phase = XF_IGNORE;
            break;
        }
        xf_opcode(m, s, mosi);
        break;
    case XF_ADDR:
        s->addr = ((s->addr << 8) | mosi) & XF_MASK; /* top 4 of the 24 address bits are don't-care */
        if (++s->nbytes == 3) {
            s->nbytes = 0;
            s->phase = s->opcode == 0x02 ? XF_WRITE : s->opcode == 0x0B ? XF_DUMMY : XF_READ;
            if (s->opcode == 0x02 && !(s->status & XF_SR_WEL))
                s->phase = XF_REFUSED; /* WRITE without WEL: nothing is written (datasheet) */
        }
        break;
    case XF_DUMMY:
        s->phase = XF_READ;
        break;
    case XF_READ:
        miso = m->extfram[s->addr];
        s->addr = (s->addr + 1u) & XF_MASK;
        s->stats.bytes_read++;
        break;
    case XF_WRITE:
        if (xf_protected(s, s->addr)) {
            s->stats.bytes_refused++;
        } else {
            m->extfram[s->addr] = mosi; /* persists the moment the byte is complete */
            s->stats.bytes_written++;
        }
        s->addr = (s->addr + 1u) & XF_MASK;
        break;
    case XF_RDSR:
        miso = s->status;
        break;
    case XF_WRSR:
        if (s->nbytes++ == 0 && (s->status & XF_SR_WEL))
            s->status = (uint8_t)((s->status & XF_SR_WEL) | (mosi & (XF_SR_WPEN | XF_SR_BP)));
        break;
    case XF_RDID:
        miso = s->nbytes < sizeof xf_device_id ? xf_device_id[s->nbytes] : 0xFF;
        s->nbytes++;
        break;
    case XF_REFUSED:
        s->stats.bytes_refused++;
        break;
    case XF_IGNORE:
        break;
    }
    return miso;
}
