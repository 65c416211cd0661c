# identity-backend: `make` builds everything into build/, `make test` runs every test
# and ends with "N passed, N failed", `make test SAN=1` does both under ASan+UBSan
# (into build/san/, so sanitized and plain objects never mix), `make run` starts.
#
# Native toolchain settings live in conf/native.mk; this file only lists targets.

.DEFAULT_GOAL := all
include conf/native.mk
include conf/wasm.mk
include conf/fuzz.mk

CORE_SRC   := $(sort $(wildcard shared/src/*.c))
CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
ISSUER_SRC := $(sort $(wildcard issuer/*.c))
ISSUER_OBJ := $(ISSUER_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN   := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC  := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

LIBJOSE := $(BUILD)/lib/libjose.a
BIN     := $(BUILD)/bin/identity-backend

.PHONY: all wasm test valgrind run bench bench-issuer format clean
all: $(BIN) $(TEST_BIN) $(BENCH_BIN) wasm
wasm: $(WASM_OUT) verifier-wasm/index.cjs

$(WASM_DIR)/include/cjson/cJSON.h: $(CJSON_SRC)/cJSON.h
	@mkdir -p $(dir $@)
	cp $< $@

# -w: wolfCrypt's and cJSON's own warnings are not ours to fail on.
$(WASM_DIR)/obj/%.o: %.c $(WASM_DIR)/include/cjson/cJSON.h $(wildcard shared/include/*.h shared/src/*.h) conf/wolfcrypt-wasm/user_settings.h
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_CFLAGS) $(if $(filter $<,$(WASM_FAST)),-O2,-Os) -w -c $< -o $@

$(WASM_OUT): $(WASM_OBJ) conf/wasm.mk
	@mkdir -p $(dir $@)
	$(EMCC_ENV) $(EMCC) $(WASM_LDFLAGS) $(WASM_OBJ) -o $@

verifier-wasm/index.cjs: verifier-wasm/index.js verifier-wasm/index.d.ts verifier-wasm/build-cjs.mjs
	node verifier-wasm/build-cjs.mjs

$(BUILD)/obj/%.o: %.c $(wildcard shared/include/*.h shared/src/*.h issuer/*.h tests/*.h) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIBJOSE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/obj/issuer/%.o: issuer/%.c $(wildcard shared/include/*.h issuer/*.h) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ISSUER_CFLAGS) -c $< -o $@

$(BIN): $(ISSUER_OBJ) $(LIBJOSE) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) $(ISSUER_LIBS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(LIBJOSE) $(WC_LIB) $(wildcard shared/include/*.h shared/src/*.h tests/*.h issuer/*.[ch])
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ISSUER_CFLAGS) $(LDFLAGS) $< $(LIBJOSE) $(WC_LIB) $(LIBS) $(ISSUER_LIBS) -o $@

$(BUILD)/bench/%: tests/bench/%.c tests/bench/bench.h $(LIBJOSE) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBJOSE) $(WC_LIB) $(LIBS) -o $@

test: all fuzz-build
	BUILD=$(BUILD) bash tests/run.sh

# The issuer with embedded defaults: 127.0.0.1:8080, var/identity.db, keys made on first start.
# The C unit tests under valgrind's memcheck (not with SAN=1: valgrind cannot run ASan builds).
valgrind: all
	BUILD=$(BUILD) bash tests/valgrind.sh

run: $(BIN)
	$(BIN) serve

bench: all
	BUILD=$(BUILD) bash tests/bench/run.sh

# Token rate of the issuer (client_credentials) against node-oidc-provider, same machine, same run.
bench-issuer: $(BIN) $(BENCH_BIN)
	BUILD=$(BUILD) bash tests/bench/issuer.sh

format:
	clang-format -i shared/include/*.h shared/src/*.[ch] issuer/*.[ch] verifier-wasm/src/*.c tests/unit/*.c tests/bench/*.[ch] tests/fuzz/*.[ch] tests/*.h

clean:
	rm -rf build
