/* Host port configuration: native build, generous limits are not needed; keep the board's. */
#ifndef TINAS_PORT_CONFIG_H
#define TINAS_PORT_CONFIG_H
#endif
