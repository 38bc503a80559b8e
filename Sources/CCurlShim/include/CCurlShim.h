// Typed, non-variadic wrappers for libcurl's variadic calls, which Swift cannot call.
#ifndef EVIDENCE_CCURLSHIM_H
#define EVIDENCE_CCURLSHIM_H

#include <curl/curl.h>

typedef size_t (*evu_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);
typedef int (*evu_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                     curl_off_t ultotal, curl_off_t ulnow);
typedef int (*evu_seek_callback)(void *userdata, curl_off_t offset, int origin);

CURLcode evu_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode evu_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode evu_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode evu_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode evu_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode evu_setopt_data_callback(CURL *handle, CURLoption option, evu_data_callback value);
CURLcode evu_setopt_xferinfo_callback(CURL *handle, evu_xferinfo_callback value);
CURLcode evu_setopt_seek_callback(CURL *handle, evu_seek_callback value);

CURLcode evu_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode evu_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode evu_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode evu_getinfo_string(CURL *handle, CURLINFO info, const char **value);

#endif
