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

# make install PREFIX=/usr/local DESTDIR=
INSTALL ?= install
INSTALL_ROOT = $(DESTDIR)$(PREFIX)

install: $(BUILD)/libsageshim.so $(SAGESHIM_BIN)
	$(INSTALL) -d $(INSTALL_ROOT)/lib $(INSTALL_ROOT)/bin $(INSTALL_ROOT)/etc \
		$(INSTALL_ROOT)/share/sageshim/kernels \
		$(INSTALL_ROOT)/share/man/man1 $(INSTALL_ROOT)/share/man/man5
	$(INSTALL) -m 755 $(BUILD)/libsageshim.so $(INSTALL_ROOT)/lib/libsageshim.so
	$(INSTALL) -m 755 $(SAGESHIM_BIN) $(INSTALL_ROOT)/bin/sageshim
	$(INSTALL) -m 644 sageshim.conf $(INSTALL_ROOT)/etc/sageshim.conf
	$(INSTALL) -m 644 man/sageshim.1 $(INSTALL_ROOT)/share/man/man1/sageshim.1
	$(INSTALL) -m 644 man/sageshim.conf.5 $(INSTALL_ROOT)/share/man/man5/sageshim.conf.5
	@# The bundle: whatever kernels/ holds (MANIFEST, *.fatbin), if anything.
	for f in kernels/*; do \
		case "$$f" in *.mk|*.cu|*.md|'kernels/*') continue ;; esac; \
		if [ -f "$$f" ]; then \
			$(INSTALL) -m 644 "$$f" $(INSTALL_ROOT)/share/sageshim/kernels/ || exit 1; \
		fi; \
	done
	@# Other directories' install targets; expanded when the recipe runs, so
	@# module.mk files read after this one are included.
	$(if $(INSTALL_STEPS),$(MAKE) $(INSTALL_STEPS))
