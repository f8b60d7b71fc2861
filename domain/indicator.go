package domain

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
)

// IndicatorType is the kind of an indicator of compromise.
type IndicatorType string

// Indicator types, each with a STIX pattern object path.
const (
	IndicatorIPv4   IndicatorType = "IPV4"
	IndicatorIPv6   IndicatorType = "IPV6"
	IndicatorDomain IndicatorType = "DOMAIN"
	IndicatorURL    IndicatorType = "URL"
	IndicatorEmail  IndicatorType = "EMAIL"
	IndicatorMD5    IndicatorType = "MD5"
	IndicatorSHA1   IndicatorType = "SHA1"
	IndicatorSHA256 IndicatorType = "SHA256"
	IndicatorCVE    IndicatorType = "CVE"
)

// MaxIndicatorValue is the longest indicator value accepted, in bytes.
const MaxIndicatorValue = 2048

var (
	hexRe    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	domainRe = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
	cveRe    = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
)

// ValidateIndicator checks that value is well formed for type t and returns it normalised
// (lower-case hashes and domains).
func ValidateIndicator(t IndicatorType, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", Errorf(EINVALID, "indicator value is empty")
	}
	if len(v) > MaxIndicatorValue {
		return "", Errorf(ETOOLARGE, "indicator value is %d bytes; the limit is %d", len(v), MaxIndicatorValue)
	}
	bad := func() (string, error) {
		return "", Errorf(EINVALID, "indicator value %q is not a valid %s", trimForMessage(v), t)
	}
	switch t {
	case IndicatorIPv4:
		ip := net.ParseIP(v)
		if ip == nil || ip.To4() == nil || strings.Contains(v, ":") {
			return bad()
		}
	case IndicatorIPv6:
		ip := net.ParseIP(v)
		if ip == nil || !strings.Contains(v, ":") {
			return bad()
		}
		v = ip.String()
	case IndicatorDomain:
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if len(v) > 253 || !domainRe.MatchString(v) {
			return bad()
		}
	case IndicatorURL:
		u, err := url.Parse(v)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return bad()
		}
	case IndicatorEmail:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v {
			return bad()
		}
	case IndicatorMD5, IndicatorSHA1, IndicatorSHA256:
		want := map[IndicatorType]int{IndicatorMD5: 32, IndicatorSHA1: 40, IndicatorSHA256: 64}[t]
		if len(v) != want || !hexRe.MatchString(v) {
			return bad()
		}
		v = strings.ToLower(v)
	case IndicatorCVE:
		v = strings.ToUpper(v)
		if !cveRe.MatchString(v) {
			return bad()
		}
	default:
		return "", Errorf(EINVALID, "unknown indicator type %q (use IPV4, IPV6, DOMAIN, URL, EMAIL, MD5, SHA1, SHA256 or CVE)", string(t))
	}
	return v, nil
}

// trimForMessage keeps error messages short when a client sends a huge value.
func trimForMessage(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
