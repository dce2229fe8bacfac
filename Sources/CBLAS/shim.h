// The CBLAS interface of Debian's OpenBLAS (libopenblas-dev puts cblas.h on the default include path), and the one
// LAPACK routine tracker calls, which OpenBLAS exports with the Fortran calling convention (Debian ships no lapacke.h
// with it): arguments by pointer, the lengths of the character arguments appended.
#include <cblas.h>
#include <stddef.h>

/// Eigenvalues (and optionally vectors) of a real symmetric matrix, divide and conquer (LAPACK dsyevd).
void dsyevd_(const char *jobz, const char *uplo, const blasint *n, double *a, const blasint *lda, double *w,
             double *work, const blasint *lwork, blasint *iwork, const blasint *liwork, blasint *info,
             size_t jobzLength, size_t uploLength);
