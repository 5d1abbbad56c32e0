# The sageshim command line: tools/*.c -> $(BUILD)/sageshim, linked with the
# core library, zlib (wheels are zip files) and libdl (doctor loads the
# CUDA driver at run time, so the tool runs where there is none).
TOOLS_SRCS := $(sort $(wildcard tools/*.c))
TOOLS_OBJS := $(TOOLS_SRCS:%.c=$(BUILD)/%.o)
TOOLS_LIBS := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz) -ldl
SAGESHIM_BIN := $(BUILD)/sageshim

$(TOOLS_OBJS): ALL_CFLAGS += $(shell $(PKG_CONFIG) --cflags zlib 2>/dev/null)

$(SAGESHIM_BIN): $(TOOLS_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_OBJS) -o $@ $(CORE_LIBS) $(TOOLS_LIBS) $(ALL_LDFLAGS)

ALL_TARGETS += $(SAGESHIM_BIN)

# make install PREFIX=/usr/local DESTDIR=: what goes where, one "MODE SOURCE
# DEST" word triple each (DEST relative to PREFIX); other module.mk files add
# theirs (kernels/module.mk: the hotfix bundle).  packaging/install.sh
# installs the list and writes the manifest `make uninstall` reads; MODE
# "conf" is the configuration, never overwritten once edited.  The wheel
# (packaging/module.mk) packs the tree this gives.
INSTALL ?= install
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
INSTALL_LIST += 755 $(SHIM_LIB) lib/libsageshim.so \
  755 $(SAGESHIM_BIN) bin/sageshim \
  conf sageshim.conf etc/sageshim.conf \
  644 man/sageshim.1 share/man/man1/sageshim.1 \
  644 man/sageshim.conf.5 share/man/man5/sageshim.conf.5
