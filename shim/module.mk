# The preload library: build/libsageshim.so from shim/*.c and the core
# library (linked in statically), exporting only SHIM_EXPORTS.
SHIM_SRCS := $(sort $(wildcard shim/*.c))
SHIM_OBJS := $(SHIM_SRCS:%.c=$(BUILD)/%.o)
SHIM_LIB  := $(BUILD)/libsageshim.so

# Every symbol a preloaded library exports overrides that name in the whole
# process: the version script exports these and nothing else, and the link
# step below fails if the result differs from this list.
SHIM_EXPORTS := dlsym cuGetProcAddress cuGetProcAddress_v2 \
  cuLibraryLoadData cuLibraryLoadFromFile cuLibraryUnload cuLibraryGetKernel \
  cuKernelGetFunction cuLibraryGetModule cuLibraryEnumerateKernels cuModuleLoadData cuModuleLoadDataEx cuModuleLoadFatBinary \
  cuModuleLoad cuModuleUnload cuModuleGetFunction cuLaunchKernel cuLaunchKernelEx

$(SHIM_OBJS): ALL_CFLAGS += -I shim -fvisibility=hidden
# dlsym.c forwards lookups with a tail call so glibc sees the application as
# the caller (RTLD_NEXT); that needs sibling-call optimisation and no stack
# protector, whatever CFLAGS say.  No sanitizer instrumentation either: ASan
# calls dlsym while it initialises, before instrumented code may run.
$(BUILD)/shim/dlsym.o: ALL_CFLAGS += -O2 -foptimize-sibling-calls -fno-stack-protector \
  $(if $(SANITIZE),-fno-sanitize=all)

# Sanitizer runtimes leave undefined symbols in shared objects by design.
SHIM_NO_UNDEFINED := $(if $(SANITIZE),,-Wl,--no-undefined)

$(SHIM_LIB): $(SHIM_OBJS) $(CORE_LIB) shim/exports.map shim/check-exports.sh
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@.tmp $(SHIM_OBJS) $(CORE_LIB) $(DEPS_LIBS) -ldl -lpthread \
	  -Wl,--version-script=shim/exports.map $(SHIM_NO_UNDEFINED) $(ALL_LDFLAGS)
	sh shim/check-exports.sh $@.tmp $(SHIM_EXPORTS)
	mv $@.tmp $@

ALL_TARGETS += $(SHIM_LIB)
