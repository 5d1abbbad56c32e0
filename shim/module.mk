# The preload library: build/libsageshim.so from shim/*.c, shim/repair.py
# (embedded) and the core library (linked in statically), exporting only
# what shim/hooks.def marks EXPORTED, plus dlsym.
SHIM_SRCS := $(sort $(wildcard shim/*.c))
SHIM_OBJS := $(SHIM_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/shim/repair_source.o
SHIM_LIB  := $(BUILD)/libsageshim.so
SHIM_MAP  := $(BUILD)/shim/exports.map

$(SHIM_OBJS): ALL_CFLAGS += -I shim -fvisibility=hidden
# dlsym.c forwards lookups with a tail call so glibc sees the application as
# the caller (RTLD_NEXT); that needs sibling-call optimisation and no stack
# protector, whatever CFLAGS say.  No sanitizer instrumentation either: ASan
# calls dlsym while it initialises, before instrumented code may run.
$(BUILD)/shim/dlsym.o: ALL_CFLAGS += -O2 -foptimize-sibling-calls -fno-stack-protector \
  $(if $(SANITIZE),-fno-sanitize=all)

# The repair's Python (shim/repair*.py, in the order repair_source.S
# includes them) as bytes in the library: .incbin in
# an assembler file, so any $(CC), native or cross, builds it, and no
# sanitizer instruments it.  -MMD does not see .incbin: the rule names it.
# The files, in order, are listed once: the .incbin lines of repair_source.S.
REPAIR_PY_FILES := $(shell sed -n 's/^ *\.incbin "\(.*\)"/\1/p' shim/repair_source.S)
$(BUILD)/shim/repair_source.o: shim/repair_source.S $(REPAIR_PY_FILES)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# Every symbol a preloaded library exports overrides that name in the whole
# process: the version script lists the names hooks.def marks EXPORTED (the
# first line of each entry: SHIM_CALL(name, handed_out, exported,) and dlsym,
# nothing else, and the link step below fails if the result differs from it.
$(SHIM_MAP): shim/hooks.def shim/module.mk
	@mkdir -p $(dir $@)
	{ echo '/* Generated from shim/hooks.def by shim/module.mk. */'; \
	  echo '{'; echo '  global:'; echo '    dlsym;'; \
	  awk -F '[(,) ]+' '/^SHIM_CALL\(/ && $$4 == "EXPORTED" { print "    " $$2 ";" }' $<; \
	  echo '  local:'; echo '    *;'; echo '};'; } > $@.tmp
	mv $@.tmp $@

# Sanitizer runtimes leave undefined symbols in shared objects by design.
SHIM_NO_UNDEFINED := $(if $(SANITIZE),,-Wl,--no-undefined)

$(SHIM_LIB): $(SHIM_OBJS) $(CORE_LIB) $(SHIM_MAP) shim/check-exports.sh
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@.tmp $(SHIM_OBJS) $(CORE_LIB) $(DEPS_LIBS) -ldl -lpthread \
	  -Wl,--version-script=$(SHIM_MAP) $(SHIM_NO_UNDEFINED) $(ALL_LDFLAGS)
	sh shim/check-exports.sh $@.tmp $(SHIM_MAP)
	mv $@.tmp $@

ALL_TARGETS += $(SHIM_LIB)

# The objects of the files the map in shim.h puts in the given layers
# ("23": decision, state and log), for test programs that link part of the
# shim and stand in for the rest.
shim_layer_objs = $(patsubst %,$(BUILD)/shim/%.o,\
  $(shell sed -n 's/^ \*   [$(1)] \([A-Za-z0-9_]*\)\.[cS] .*/\1/p' shim/shim.h))

# make check: the files call each other only downward (the map in shim.h).
SHIM_NM ?= nm
$(BUILD)/shim/layers.ok: shim/check-layers.sh shim/shim.h $(SHIM_OBJS)
	NM=$(SHIM_NM) sh shim/check-layers.sh shim/shim.h $(SHIM_OBJS)
	touch $@
CHECK_DEPS += $(BUILD)/shim/layers.ok
