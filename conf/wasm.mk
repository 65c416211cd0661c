# WASM build profile: shared/ + verifier-wasm/src/api.c + cJSON + verify-only
# wolfCrypt (conf/wolfcrypt-wasm/), all from source with Debian's emcc 3.1.6,
# into one standalone verifier.wasm with no JS glue: verifier-wasm/index.js
# instantiates it itself (Emscripten 3.1.6's generated glue breaks on Node 20 and later).
# Emscripten's own traps: it needs Debian's node modules (acorn) on NODE_PATH.
EMCC      ?= emcc
WASM_DIR  := build/wasm
WASM_OUT  := verifier-wasm/dist/verifier.wasm
CJSON_SRC := $(firstword $(wildcard third_party/src/cjson-1.7.15))
WC_SRC_W  := $(firstword $(wildcard third_party/src/wolfssl-5.5.4))
WASM_WC_FILES := asn ecc ed25519 fe_operations ge_operations hash hmac memory rsa sha256 sha512 \
                 sp_int sp_c32 wc_port wolfmath
WASM_SRC  := $(sort $(wildcard shared/src/*.c)) verifier-wasm/src/api.c $(CJSON_SRC)/cJSON.c \
             $(WASM_WC_FILES:%=$(WC_SRC_W)/wolfcrypt/src/%.c)
WASM_EXPORTS := _idb_malloc,_idb_free,_idb_err_code,_idb_verifier_new,_idb_verifier_free,_idb_verify
# Size and speed: the verify path of our code and the SHA-2/HMAC that every
# token runs through are built for speed (-O2); wolfCrypt's big-number and
# curve code for size (-Os), which costs little speed in WASM (measured: ES256
# 2.8k/s either way) and halves the module.
WASM_FAST := $(sort $(wildcard shared/src/*.c)) verifier-wasm/src/api.c \
             $(addprefix $(WC_SRC_W)/wolfcrypt/src/,sha256.c sha512.c hmac.c)
WASM_OBJ  := $(WASM_SRC:%.c=$(WASM_DIR)/obj/%.o)
WASM_CFLAGS := -DNDEBUG -DWOLFSSL_USER_SETTINGS -Iconf/wolfcrypt-wasm -I$(WC_SRC_W) \
               -Ishared/include -Ishared/src -I$(WASM_DIR)/include
WASM_LDFLAGS := -Os -sSTANDALONE_WASM --no-entry -sEXPORTED_FUNCTIONS=$(WASM_EXPORTS) \
                -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=1MB -sTOTAL_STACK=256KB -sFILESYSTEM=0 \
                -sERROR_ON_UNDEFINED_SYMBOLS=1 -sMALLOC=emmalloc -sSUPPORT_LONGJMP=0
EMCC_ENV := NODE_PATH=/usr/share/nodejs
