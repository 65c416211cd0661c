# WASM build profile: two standalone modules with no JS glue (verifier-wasm/index.js
# instantiates them itself: Emscripten 3.1.6's generated glue breaks on Node 20 and
# later), both from shared/ + verifier-wasm/src/ + cJSON + wolfCrypt's SHA-2, all
# compiled from source with Debian's emcc 3.1.6:
#   verifier.wasm        the full module: wolfCrypt's RSA, ECC and Ed25519 inside
#                        (conf/wolfcrypt-wasm/), for browsers, plain workerd, anywhere;
#                        it also takes the host's arithmetic when there is one.
#   verifier-small.wasm  no asymmetric arithmetic: the host's crypto (node:crypto in
#                        Node, Deno, Bun) does it through verifier-wasm/src/host.c.
# Emscripten's own traps: it needs Debian's node modules (acorn) on NODE_PATH.
EMCC      ?= emcc
WASM_OPT  ?= wasm-opt
WASM_DIR  := build/wasm
WASM_OUT  := verifier-wasm/dist/verifier.wasm
WASM_SMALL_OUT := verifier-wasm/dist/verifier-small.wasm
CJSON_SRC := $(firstword $(wildcard third_party/src/cjson-1.7.15))
WC_SRC_W  := $(firstword $(wildcard third_party/src/wolfssl-5.5.4))
# Hashing is in both modules (HMAC, RSA padding, thumbprints); the rest only in the full one.
# sha256.c is built per module (WASM_PER_MODULE): see WASM_SMALL_FLAGS.
WASM_WC_HASH := hash memory sha512 wc_port
WASM_SHA256  := $(WC_SRC_W)/wolfcrypt/src/sha256.c
WASM_WC_ASYM := ecc ed25519 fe_operations ge_operations sp_int sp_c32 wolfmath
WASM_API  := verifier-wasm/src/api.c verifier-wasm/src/host.c verifier-wasm/src/defer.c
WASM_LIBC := verifier-wasm/src/strtod.c
# Built per module: sha256.c (see WASM_SMALL_FLAGS) and what the small module vectorizes.
WASM_PER_MODULE := $(WASM_SHA256) $(addprefix shared/src/,b64url.c json.c jws.c)
WASM_CORE := $(filter-out shared/src/sig_wolfcrypt.c $(WASM_PER_MODULE),$(sort $(wildcard shared/src/*.c))) $(CJSON_SRC)/cJSON.c \
             $(WASM_WC_HASH:%=$(WC_SRC_W)/wolfcrypt/src/%.c) $(WASM_LIBC)
WASM_ASYM := shared/src/sig_wolfcrypt.c $(WASM_WC_ASYM:%=$(WC_SRC_W)/wolfcrypt/src/%.c)
WASM_EXPORTS := _idb_malloc,_idb_free,_idb_err_code,_idb_verifier_new,_idb_verifier_free,_idb_verify,_idb_key_verify,_idb_digest
# Size and speed: what every token runs through (its parsing, hashing and the
# module's glue) is built for speed (-O2); key import, tables of names and
# wolfCrypt's big-number and curve code for size (-Os), which costs little speed in
# WASM (measured: the same ES256 rate either way) and halves the module.
WASM_FAST := $(addprefix shared/src/,b64url.c hmac.c json.c jws.c jwt.c sig.c) $(WASM_API) $(WASM_LIBC) \
             $(CJSON_SRC)/cJSON.c $(addprefix $(WC_SRC_W)/wolfcrypt/src/,sha256.c sha512.c)
WASM_OBJ_CORE := $(WASM_CORE:%.c=$(WASM_DIR)/obj/%.o)
WASM_OBJ_ASYM := $(WASM_ASYM:%.c=$(WASM_DIR)/obj/%.o)
WASM_OBJ_FULL := $(WASM_OBJ_CORE) $(WASM_OBJ_ASYM) $(WASM_PER_MODULE:%.c=$(WASM_DIR)/obj/%.o) \
                 $(WASM_API:%.c=$(WASM_DIR)/full/%.o)
WASM_OBJ_SMALL := $(WASM_OBJ_CORE) $(WASM_PER_MODULE:%.c=$(WASM_DIR)/small/%.o) $(WASM_API:%.c=$(WASM_DIR)/small/%.o)
# The small module's SHA-256 keeps its whole state in locals (wolfCrypt's
# SHA256_MANY_REGISTERS): 47% faster in WebAssembly (HS256 and every RS/PS hash
# in Node), 2.4 KB larger, which the full module's size budget does not allow.
# It also uses WebAssembly SIMD (every runtime with node:crypto has it) for
# base64url, a token's dots and JSON strings; the full module, for any
# WebAssembly engine, does not.
WASM_SMALL_FLAGS := -DSHA256_MANY_REGISTERS -msimd128
WASM_CFLAGS := -DNDEBUG -DWOLFSSL_USER_SETTINGS -Iconf/wolfcrypt-wasm -I$(WC_SRC_W) \
               -Ishared/include -Ishared/src -I$(WASM_DIR)/include
WASM_LDFLAGS := -Os -sSTANDALONE_WASM --no-entry \
                -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=1MB -sTOTAL_STACK=256KB -sFILESYSTEM=0 \
                -sERROR_ON_UNDEFINED_SYMBOLS=1 -sMALLOC=emmalloc -sSUPPORT_LONGJMP=0 \
                --js-library verifier-wasm/src/imports.js
# The full module's marker export lets the loader tell the two apart.
WASM_LDFLAGS_FULL  := -sEXPORTED_FUNCTIONS=$(WASM_EXPORTS),_idb_wasm_crypto,_idb_defer
WASM_LDFLAGS_SMALL := -sEXPORTED_FUNCTIONS=$(WASM_EXPORTS)
# After linking: binaryen's optimiser for size.
WASM_OPT_FLAGS := -Oz --strip-debug --strip-producers
# cJSON reads numbers through verifier-wasm/src/strtod.c (musl's strtod is soft-float here).
WASM_CJSON_FLAGS := -Dstrtod=idb_strtod
# ecc.c without FP_ECC's cache (see conf/wolfcrypt-wasm/user_settings.h).
WASM_ECC_FLAGS := -DIDB_NO_FP_ECC
EMCC_ENV := NODE_PATH=/usr/share/nodejs
