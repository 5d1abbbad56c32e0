# The core library: parsers shared by the preload library and the tools.
CORE_SRCS := $(sort $(wildcard lib/*/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CORE_LIB  := $(BUILD)/libsscore.a
CORE_LIBS := $(CORE_LIB) $(DEPS_LIBS)

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

ALL_TARGETS += $(CORE_LIB)

# make check: each file calls only its own folder or one its folder's map
# (lib/<folder>/folder.h) allows, and no two files call each other.
CORE_NM ?= nm
$(BUILD)/lib/folders.ok: lib/check-folders.sh $(wildcard lib/*/folder.h) $(CORE_OBJS)
	NM=$(CORE_NM) sh lib/check-folders.sh lib $(CORE_OBJS)
	touch $@
CHECK_DEPS += $(BUILD)/lib/folders.ok
