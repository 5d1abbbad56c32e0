// host_graph: two launches captured into a CUDA graph (global capture mode,
// the kernel's first use happening inside the capture), the graph replayed
// twice.  The shim must neither break the capture nor run the original.
#include "host_common.h"

int main(int argc, char **argv)
{
    struct wrong_lib lib = open_library(argc, argv);
    float *x = make_input();
    cudaStream_t stream;
    cudaGraph_t graph;
    cudaGraphExec_t exec;

    CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal));
    CHECK_LIB(lib.scale(x, factor, n_elems, stream));
    CHECK_LIB(lib.scale(x, factor, n_elems, stream));
    CHECK(cudaStreamEndCapture(stream, &graph));
    CHECK(cudaGraphInstantiate(&exec, graph, 0));
    CHECK(cudaGraphLaunch(exec, stream));
    CHECK(cudaGraphLaunch(exec, stream));
    CHECK(cudaStreamSynchronize(stream));

    // Two captured launches, each run twice.
    int code = classify(x, 4);
    CHECK(cudaGraphExecDestroy(exec));
    CHECK(cudaGraphDestroy(graph));
    CHECK(cudaStreamDestroy(stream));
    CHECK(cudaFree(x));
    return report("graph", code, 2);
}
