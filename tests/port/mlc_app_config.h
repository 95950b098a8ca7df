/* Test stand-in for the mlc_app_config.h a generated project carries. */
#ifndef MLC_APP_CONFIG_H
#define MLC_APP_CONFIG_H

#include "model.h"

#define MLC_MODEL mlc_fake_model
#define MLC_ARENA_SIZE 32
#define MLC_INPUT_BYTES 32  /* x: f32[1,8] */
#define MLC_OUTPUT_BYTES 35 /* y: f32[1,8], q: s8[3] */

#endif
