#include <curl/curl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

// curl_easy_setopt, curl_easy_getinfo and curl_multi_setopt are variadic, which Swift cannot call:
// typed wrappers, one per argument type.
static inline CURLcode lt_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode lt_curl_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode lt_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode lt_curl_setopt_write(CURL *h, CURLoption o, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, o, f); }
static inline CURLcode lt_curl_setopt_opensocket(CURL *h, curl_socket_t (*f)(void *, curlsocktype, struct curl_sockaddr *)) { return curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, f); }
static inline CURLcode lt_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode lt_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLMcode lt_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
/// The transfer result carried by a CURLMSG_DONE message (a union member in C).
static inline CURLcode lt_curl_msg_result(const CURLMsg *m) { return m->data.result; }

/// The text form of the address libcurl is about to connect to (CURLOPT_OPENSOCKETFUNCTION's
/// argument), written to `out`; returns 0, or -1 for a family other than IPv4 and IPv6.
static inline int lt_curl_sockaddr_ip(const struct curl_sockaddr *a, char *out, socklen_t size) {
    if (a->family == AF_INET && a->addrlen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&a->addr;
        return inet_ntop(AF_INET, &in->sin_addr, out, size) ? 0 : -1;
    }
    if (a->family == AF_INET6 && a->addrlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a->addr;
        return inet_ntop(AF_INET6, &in6->sin6_addr, out, size) ? 0 : -1;
    }
    return -1;
}

/// A socket for the address libcurl asked for, closed on exec.
static inline curl_socket_t lt_curl_open_socket(const struct curl_sockaddr *a) {
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/// The URL API: typed wrappers around curl_url_get and curl_url_set.
static inline CURLUcode lt_curl_url_get(CURLU *u, CURLUPart p, char **out, unsigned int flags) { return curl_url_get(u, p, out, flags); }
static inline CURLUcode lt_curl_url_set(CURLU *u, CURLUPart p, const char *v, unsigned int flags) { return curl_url_set(u, p, v, flags); }
