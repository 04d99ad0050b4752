/* rt_config.h - build-time limits of the runtime; a port's port_config.h may lower or raise them. */
#ifndef TINAS_RT_CONFIG_H
#define TINAS_RT_CONFIG_H

#include "port_config.h"

#ifndef RT_VM_WORDS
#define RT_VM_WORDS 1024 /* int16 words of the tile buffer (IFM + weights): the cost model's 2048 B */
#endif
#ifndef RT_VM_ATTR
#define RT_VM_ATTR /* a port may place the tile buffer in accelerator RAM (fr5994: LEA RAM) */
#endif
#ifndef RT_MAX_TM
#define RT_MAX_TM 256 /* output channels per tile (staging buffer) */
#endif

#endif
