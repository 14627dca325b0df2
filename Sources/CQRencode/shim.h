// libqrencode (QR Code symbol encoder; Debian libqrencode-dev). Imported only by GatehouseQRCode.
// Debian's build uses pthread mutexes internally, so the encode functions are thread-safe.
#include <qrencode.h>
