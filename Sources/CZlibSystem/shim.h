// zlib from Debian's zlib1g-dev, used to inflate the gzip datasets compiled into the binary.
#include <zlib.h>
