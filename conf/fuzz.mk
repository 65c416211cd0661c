# libFuzzer targets (tests/fuzz/): build rules and runners. Included by the
# Makefile (anywhere after conf/native.mk), whose include paths and defines it reuses
# (CFLAGS without its optimisation and sanitizer flags), with clang's
# -fsanitize=fuzzer,address,undefined instead. The JOSE core and the issuer are
# compiled again, instrumented, into build/fuzz/obj/ (never mixed with the
# plain or SAN=1 objects); wolfCrypt is linked as built ($(WC_LIB), not
# instrumented: coverage stops at its API, which is where our input ends).
#
#   make fuzz-build                 the seven binaries, build/fuzz/bin/fuzz_<name>
#   make fuzz [FUZZ_SECONDS=60]     each target N seconds in turn over its corpus
#                                   (tests/fuzz/run.sh); fails on any crash
#   make fuzz-short                 about 10 s per target, "ok - fuzz …" lines
#                                   (tests/fuzz/short.test.sh, as tests/run.sh runs it)
#
# Needs clang with the libFuzzer runtime (Debian: clang-14, libclang-rt-14-dev).
FUZZ_CC      ?= $(firstword $(shell command -v clang-14 clang 2>/dev/null) clang)
FUZZ_DIR     := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# Our CFLAGS minus what clang's fuzzer build replaces; -Werror stays off for the
# core and issuer here (the plain build is their warning gate, with gcc).
FUZZ_BASE    := $(filter-out -O% -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer -Werror,$(CFLAGS))
FUZZ_CFLAGS  := $(FUZZ_BASE) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
                $(ISSUER_CFLAGS) -Itests/fuzz
FUZZ_LDFLAGS := -fsanitize=fuzzer $(FUZZ_SAN)

FUZZ_NAMES   := jwt jwks json http router webauthn mail
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/bin/fuzz_%)
FUZZ_CORE    := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(sort $(wildcard shared/src/*.c)))
# The router target includes issuer/runtime/server.c itself (for its static worker
# layout and on_req) and serves no command line: every issuer object but
# main, server and the CLI's (an archive, so only what is referenced is linked).
FUZZ_ISSUER  := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(filter-out issuer/main.c issuer/runtime/server.c issuer/cli/%.c,\
                $(sort $(wildcard issuer/*.c issuer/*/*.c))))
FUZZ_HDRS    := $(wildcard shared/include/*.h shared/src/*.h issuer/*/*.h tests/fuzz/*.h)

.PHONY: fuzz fuzz-build fuzz-short
fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) bash tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-short: fuzz-build
	FUZZ_DIR=$(FUZZ_DIR) bash tests/fuzz/short.test.sh

$(FUZZ_DIR)/obj/%.o: %.c $(FUZZ_HDRS) $(WC_LIB) conf/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# The targets themselves are held to -Werror.
$(FUZZ_DIR)/obj/tests/fuzz/%.o: tests/fuzz/%.c $(FUZZ_HDRS) $(WC_LIB) conf/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Werror -c $< -o $@

$(FUZZ_DIR)/obj/libissuer.a: $(FUZZ_ISSUER)
	rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_DIR)/bin/fuzz_jwt $(FUZZ_DIR)/bin/fuzz_jwks $(FUZZ_DIR)/bin/fuzz_json: $(FUZZ_DIR)/bin/fuzz_%: \
		$(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_CORE) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ $(LIBS) -o $@

$(FUZZ_DIR)/bin/fuzz_http: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_http.o $(FUZZ_DIR)/obj/issuer/http/http.o $(FUZZ_DIR)/obj/issuer/http/i18n.o \
		$(FUZZ_DIR)/obj/shared/src/utf8.o $(FUZZ_DIR)/obj/shared/src/b64url.o $(FUZZ_DIR)/obj/shared/src/json.o
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ $(LIBS) -o $@

$(FUZZ_DIR)/bin/fuzz_mail: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_mail.o $(FUZZ_DIR)/obj/issuer/mail/mime.o $(FUZZ_DIR)/obj/shared/src/utf8.o
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ -o $@

$(FUZZ_DIR)/bin/fuzz_router: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_router.o $(FUZZ_DIR)/obj/libissuer.a $(FUZZ_CORE) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ $(LIBS) $(ISSUER_LIBS) -o $@

# WebAuthn's parsers (issuer/mfa/webauthn.c) over the JOSE core, wolfCrypt and libcbor.
$(FUZZ_DIR)/bin/fuzz_webauthn: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_webauthn.o $(FUZZ_DIR)/obj/issuer/mfa/webauthn.o \
		$(FUZZ_CORE) $(WC_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) $^ $(LIBS) $(shell pkg-config --libs libcbor) -o $@
