# Native build profile. wolfCrypt is compiled from Debian's source package with
# the SP x86-64 assembly (conf/wolfcrypt.mk, conf/wolfcrypt-native/); cJSON is
# Debian's libcjson. WOLFCRYPT=system links Debian's generic libwolfssl instead
# (slower ECC and RSA; for machines other than x86-64).
# SAN=1 switches to ASan+UBSan in build/san/ (wolfCrypt itself stays uninstrumented).
CC     ?= cc
WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -g \
          -Ishared/include -Ishared/src $(shell pkg-config --cflags libcjson)
LIBS   := $(shell pkg-config --libs libcjson) -lm -lpthread
# The issuer only: H2O (evloop flavour, which brings OpenSSL for TLS), SQLite, libargon2,
# libcurl (verify --jwks URL), libpq (the PostgreSQL store), libqrencode (TOTP enrolment's
# QR code, mfa/qr.c), libcbor (WebAuthn's attestation objects and COSE keys, mfa/webauthn.c).
# Its headers are included by layer folder ("store/store.h"); -iquote keeps them
# out of the search for system headers.
ISSUER_CFLAGS := -DH2O_USE_LIBUV=0 -iquote issuer $(shell pkg-config --cflags libh2o-evloop sqlite3 libcurl libpq libqrencode libcbor)
ISSUER_LIBS   := $(shell pkg-config --libs libh2o-evloop sqlite3 libargon2 libcurl libpq libqrencode libcbor) -lssl -lcrypto
LDFLAGS :=

ifeq ($(SAN),1)
BUILD  := build/san
CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
BUILD  := build
CFLAGS += -O2
endif

ifeq ($(WOLFCRYPT),system)
BUILD  := $(BUILD)/system-wolfssl
CFLAGS += -include wolfssl/options.h
LIBS   += $(shell pkg-config --libs wolfssl)
WC_LIB :=
else
include conf/wolfcrypt.mk
CFLAGS += $(WC_CFLAGS)
endif
