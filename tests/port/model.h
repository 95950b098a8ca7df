/* Test stand-in for a generated model header. */
#ifndef FAKE_MODEL_H
#define FAKE_MODEL_H

#include "mlc/types.h"

extern const mlc_model_t mlc_fake_model;

#endif
