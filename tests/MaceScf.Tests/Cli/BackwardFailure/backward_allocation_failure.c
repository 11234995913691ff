/* LD_PRELOAD shim for tests: libtorch's CPU allocator fails inside the autograd engine, nowhere else.

   posix_memalign returns ENOMEM when it is called by c10::alloc_cpu (libtorch's CPU tensor allocator) and the call
   stack contains torch::autograd::Engine::evaluate_function (a node of the backward pass being evaluated). Every other
   allocation, those of the .NET runtime included, goes to the C library unchanged. Used by
   tests/MaceScf.Tests/Cli/BackwardFailureCliTests.cs; docs/errors.md, "Failures in the backward pass". */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*posix_memalign_fn)(void **, size_t, size_t);

struct range { uintptr_t start, end; };

static struct range alloc_cpu, evaluate_function;
static pthread_once_t resolved = PTHREAD_ONCE_INIT;
static __thread int inside;

/* The address range of an exported function of an already loaded library; {0, 0} when either is missing. */
static struct range function_range(const char *library, const char *symbol)
{
    struct range r = {0, 0};
    void *handle = dlopen(library, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) return r;
    void *address = dlsym(handle, symbol);
    Dl_info info;
    const ElfW(Sym) *entry = NULL;
    if (address && dladdr1(address, &info, (void **)&entry, RTLD_DL_SYMENT) && entry)
        r = (struct range){(uintptr_t)address, (uintptr_t)address + entry->st_size};
    dlclose(handle);
    return r;
}

static void resolve(void)
{
    alloc_cpu = function_range("libc10.so", "_ZN3c109alloc_cpuEm");
    evaluate_function = function_range("libtorch_cpu.so",
        "_ZN5torch8autograd6Engine17evaluate_functionERSt10shared_ptrINS0_9GraphTaskEEPNS0_4NodeERNS0_11InputBufferERKS2_INS0_10ReadyQueueEE");
    if (alloc_cpu.end == alloc_cpu.start || evaluate_function.end == evaluate_function.start)
        fprintf(stderr, "backward_allocation_failure: libtorch's c10::alloc_cpu or Engine::evaluate_function not found; nothing will fail\n");
}

static int in(struct range r, void *address)
{
    return (uintptr_t)address >= r.start && (uintptr_t)address < r.end;
}

/* True when this allocation is libtorch's, made while the autograd engine evaluates a node. */
static int in_backward_pass(void *caller)
{
    pthread_once(&resolved, resolve);
    if (!in(alloc_cpu, caller)) return 0;
    void *frames[256];
    int depth = backtrace(frames, 256);
    for (int i = 0; i < depth; i++)
        if (in(evaluate_function, frames[i])) return 1;
    return 0;
}

int posix_memalign(void **memory, size_t alignment, size_t size)
{
    static posix_memalign_fn next;
    if (!next) next = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    if (!inside)
    {
        inside = 1;
        int fail = in_backward_pass(__builtin_return_address(0));
        inside = 0;
        if (fail) return ENOMEM;
    }
    return next(memory, alignment, size);
}
