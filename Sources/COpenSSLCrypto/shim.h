#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/opensslv.h>

// OPENSSL_free is a macro (CRYPTO_free(p, __FILE__, __LINE__)); Swift cannot call it.
static inline void copenssl_free(void *p) { OPENSSL_free(p); }

// GatehouseCrypto helpers. OSSL_PARAM_BLD stores the *pointers* it is given (keys and buffers) and
// copies the data only in OSSL_PARAM_BLD_to_param, so the key names must outlive the builder. Swift
// string arguments are valid only for the duration of one call, hence these builders live in C where
// the key names are static literals.

// A P-256 public key from an uncompressed SEC1 point (0x04 || X || Y, 65 bytes), checked to be on the
// curve and of the right order (EVP_PKEY_public_check). Returns NULL on failure (errors stay queued).
static inline EVP_PKEY *copenssl_p256_public_key(const unsigned char *point, size_t point_len) {
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        goto done;
    }
    if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL || EVP_PKEY_public_check(check) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
done:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

// An RSA public key from big-endian unsigned modulus and exponent bytes. Returns NULL on failure.
static inline EVP_PKEY *copenssl_rsa_public_key(const unsigned char *n, size_t n_len,
                                                const unsigned char *e, size_t e_len) {
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL);
    BIGNUM *bn_e = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (bn_n == NULL || bn_e == NULL || bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)
        || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL
        || (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return pkey;
}

#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>

// Verifies that `leaf` chains to one of `roots` (trust anchors; with X509_V_FLAG_PARTIAL_CHAIN an
// anchor need not be self-signed), through any of `intermediates`, at the current time. The stack
// macros of OpenSSL cannot be called from Swift, hence this helper. Returns X509_V_OK (0) on
// success, the X509_V_ERR_* code otherwise, or -1 when OpenSSL could not run the check.
static inline int copenssl_verify_chain(X509 *leaf, X509 *const *intermediates, int intermediate_count,
                                        X509 *const *roots, int root_count) {
    int result = -1;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    if (store == NULL || ctx == NULL || untrusted == NULL) goto done;
    for (int i = 0; i < root_count; i++) {
        if (X509_STORE_add_cert(store, roots[i]) != 1) goto done;
    }
    for (int i = 0; i < intermediate_count; i++) {
        if (!sk_X509_push(untrusted, intermediates[i])) goto done;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) goto done;
    result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);  // the certificates stay owned by the caller
    X509_STORE_free(store);
    return result;
}

// The text of an X509_V_ERR_* code.
static inline const char *copenssl_verify_error_string(int code) {
    return X509_verify_cert_error_string(code);
}
