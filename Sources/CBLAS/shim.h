// The CBLAS interface of Debian's OpenBLAS (libopenblas-dev puts cblas.h on the default include path).
#include <cblas.h>
