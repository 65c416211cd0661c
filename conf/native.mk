# Native build profile: Debian's libwolfssl (5.5.4, SP math with x86_64 asm) and
# libcjson through pkg-config. SAN=1 switches to ASan+UBSan in build/san/.
CC     ?= cc
PKGS   := wolfssl libcjson
WARN   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -g \
          -Ishared/include -Ishared/src $(shell pkg-config --cflags $(PKGS))
LIBS   := $(shell pkg-config --libs $(PKGS)) -lm
LDFLAGS :=

ifeq ($(SAN),1)
BUILD  := build/san
CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
BUILD  := build
CFLAGS += -O2
endif
