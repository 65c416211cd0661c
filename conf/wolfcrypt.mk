# Builds libwolfcrypt.a from Debian's wolfssl source package (third_party/src,
# fetched by scripts/setup.sh) with the profile in conf/wolfcrypt-$(WC_PROFILE)/.
# Included by conf/native.mk; sets WC_CFLAGS and WC_LIB.
WC_SRC  := $(firstword $(wildcard third_party/src/wolfssl-5.5.4))
WC_CONF := conf/wolfcrypt-native
WC_FILES := asn coding ecc ed25519 error fe_operations ge_operations hash hmac logging memory \
            random rsa sha sha256 sha512 signature sp_int sp_x86_64 wc_port wolfmath cpuid \
            chacha poly1305 chacha20_poly1305
WC_ASM  := sp_x86_64_asm fe_x25519_asm sha256_asm sha512_asm chacha_asm poly1305_asm
WC_OBJ  := $(WC_FILES:%=$(BUILD)/wolfcrypt/%.o) $(WC_ASM:%=$(BUILD)/wolfcrypt/%.o)
WC_LIB  := $(BUILD)/wolfcrypt/libwolfcrypt.a
WC_CFLAGS := -DWOLFSSL_USER_SETTINGS -I$(WC_CONF) -I$(WC_SRC)

ifeq ($(WC_SRC),)
$(error third_party/src/wolfssl-5.5.4 is missing: run scripts/setup.sh)
endif

# Third-party code: its own warnings are not ours to fail on.
$(BUILD)/wolfcrypt/%.o: $(WC_SRC)/wolfcrypt/src/%.c $(WC_CONF)/user_settings.h
	@mkdir -p $(dir $@)
	$(CC) $(WC_CFLAGS) $(WC_EXTRA) -O2 -g -fPIC -w -c $< -o $@

$(BUILD)/wolfcrypt/%.o: $(WC_SRC)/wolfcrypt/src/%.S $(WC_CONF)/user_settings.h
	@mkdir -p $(dir $@)
	$(CC) $(WC_CFLAGS) $(WC_EXTRA) -O2 -fPIC -c $< -o $@

$(WC_LIB): $(WC_OBJ)
	rm -f $@ && $(AR) rcs $@ $^
