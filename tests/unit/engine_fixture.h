/* Shared by the unit tests that run items through a whole engine. */
#ifndef MG_TEST_ENGINE_FIXTURE_H
#define MG_TEST_ENGINE_FIXTURE_H

#include "engine/engine.h"

/* No libclamav database (tests stay fast and independent of the host). */
#define MG_TEST_BASE_CONF "[clamav]\nmode = auto\nsystem-db = /nonexistent\n"

/* An engine over the embedded defaults plus conf (a configuration file's
 * text); fails the current test with the loader's message on error. */
struct mg_engine *mg_test_engine(const char *conf);

#endif
