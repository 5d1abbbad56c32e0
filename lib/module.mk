# The core library: parsers shared by the preload library and the tools.
CORE_SRCS := $(sort $(wildcard lib/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CORE_LIB  := $(BUILD)/libsscore.a
CORE_LIBS := $(CORE_LIB) $(DEPS_LIBS)

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

ALL_TARGETS += $(CORE_LIB)
