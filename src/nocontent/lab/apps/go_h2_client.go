// Go's net/http client for the nocontent client matrix over HTTP/2 (python -m nocontent lab clients).
//
// Usage: go_h2_client FIRST_URL SECOND_URL CA_FILE
//
// One http.Client whose Transport trusts CA_FILE and negotiates h2 with ALPN (the standard
// library's bundled HTTP/2). It sends GET FIRST_URL and reads the whole body, then GET SECOND_URL,
// and prints one JSON object: what each request returned (status, protocol, body, trailers) or
// the error it raised, and whether the second reused the first one's connection (httptrace).
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime"
	"time"
)

type result struct {
	Status   int               `json:"status,omitempty"`
	Proto    string            `json:"proto,omitempty"`
	Body     string            `json:"body"`
	Trailers map[string]string `json:"trailers,omitempty"`
	Error    string            `json:"error,omitempty"`
	Reused   bool              `json:"reused"`
}

func latin1(data []byte) string {
	runes := make([]rune, len(data))
	for i, b := range data {
		runes[i] = rune(b)
	}
	return string(runes)
}

func get(client *http.Client, url string) result {
	var out result
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) { out.Reused = info.Reused }}
	request, err := http.NewRequest("GET", url, nil)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	response, err := client.Do(request.WithContext(httptrace.WithClientTrace(request.Context(), trace)))
	if err != nil {
		out.Error = "client.Do: " + err.Error()
		return out
	}
	defer response.Body.Close()
	out.Status, out.Proto = response.StatusCode, response.Proto
	body, err := io.ReadAll(response.Body)
	out.Body = latin1(body)
	if err != nil {
		out.Error = "io.ReadAll: " + err.Error()
	}
	for name, values := range response.Trailer {
		if out.Trailers == nil {
			out.Trailers = map[string]string{}
		}
		out.Trailers[name] = fmt.Sprint(values)
	}
	return out
}

func main() {
	first, second, caFile := os.Args[1], os.Args[2], os.Args[3]
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	transport := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		ForceAttemptHTTP2: true,
		Proxy:             nil,
	}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}
	output := map[string]interface{}{
		"first":   get(client, first),
		"second":  get(client, second),
		"version": runtime.Version(),
	}
	json.NewEncoder(os.Stdout).Encode(output)
}
