package openssl

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"strings"
)

// attribute names openssl accepts in -subj, with their OIDs and its short names for printing.
var attrs = []struct {
	name string
	oid  asn1.ObjectIdentifier
}{
	{"C", asn1.ObjectIdentifier{2, 5, 4, 6}},
	{"ST", asn1.ObjectIdentifier{2, 5, 4, 8}},
	{"L", asn1.ObjectIdentifier{2, 5, 4, 7}},
	{"O", asn1.ObjectIdentifier{2, 5, 4, 10}},
	{"OU", asn1.ObjectIdentifier{2, 5, 4, 11}},
	{"CN", asn1.ObjectIdentifier{2, 5, 4, 3}},
	{"street", asn1.ObjectIdentifier{2, 5, 4, 9}},
	{"serialNumber", asn1.ObjectIdentifier{2, 5, 4, 5}},
	{"title", asn1.ObjectIdentifier{2, 5, 4, 12}},
	{"postalCode", asn1.ObjectIdentifier{2, 5, 4, 17}},
	{"SN", asn1.ObjectIdentifier{2, 5, 4, 4}},
	{"GN", asn1.ObjectIdentifier{2, 5, 4, 42}},
	{"initials", asn1.ObjectIdentifier{2, 5, 4, 43}},
	{"pseudonym", asn1.ObjectIdentifier{2, 5, 4, 65}},
	{"name", asn1.ObjectIdentifier{2, 5, 4, 41}},
	{"dnQualifier", asn1.ObjectIdentifier{2, 5, 4, 46}},
	{"emailAddress", asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}},
	{"DC", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}},
	{"UID", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}},
}

var longNames = map[string]string{
	"countryName": "C", "stateOrProvinceName": "ST", "localityName": "L", "organizationName": "O",
	"organizationalUnitName": "OU", "commonName": "CN", "streetAddress": "street",
	"surname": "SN", "givenName": "GN", "domainComponent": "DC", "userId": "UID",
}

// oidOf finds an attribute by name: short names (C, O, CN) must match exactly, as in openssl;
// longer ones (emailAddress) also case-insensitively.
func oidOf(name string) (asn1.ObjectIdentifier, bool) {
	if s, ok := longNames[name]; ok {
		name = s
	}
	for _, a := range attrs {
		if strings.EqualFold(a.name, name) && (a.name == name || len(name) > 2) {
			return a.oid, true
		}
	}
	return nil, false
}

func shortName(oid asn1.ObjectIdentifier) string {
	for _, a := range attrs {
		if a.oid.Equal(oid) {
			return a.name
		}
	}
	return oid.String()
}

// parseSubj turns "/C=US/O=Example/CN=x" into DER of the Name, in the order given, encoding
// values the way OpenSSL 3 does by default: C as PrintableString, emailAddress as IA5String,
// everything else as UTF8String. Warnings are returned for skipped attributes.
func parseSubj(s string) ([]byte, []string, error) {
	if !strings.HasPrefix(s, "/") {
		return nil, nil, fmt.Errorf("name is expected to be in the format /type0=value0/type1=value1/type2=... where characters may be escaped by \\. This name is not in that format: '%s'", s)
	}
	var fields []string
	var cur strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '/':
			fields = append(fields, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	fields = append(fields, cur.String())
	var rdns pkix.RDNSequence
	var warnings []string
	for _, f := range fields {
		if f == "" {
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, nil, fmt.Errorf("Hit end of string before finding the equals.")
		}
		oid, known := oidOf(name)
		if !known {
			warnings = append(warnings, fmt.Sprintf("Skipping unknown subject name attribute \"%s\"", name))
			continue
		}
		if value == "" {
			warnings = append(warnings, fmt.Sprintf("No value provided for subject name attribute \"%s\", skipped", name))
			continue
		}
		tag := asn1.TagUTF8String
		switch shortName(oid) {
		case "C":
			tag = asn1.TagPrintableString
			if len(value) != 2 {
				return nil, nil, fmt.Errorf("string too long:maxsize=2 (value %q)", value)
			}
		case "emailAddress", "DC":
			tag = asn1.TagIA5String
		}
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{
			Type:  oid,
			Value: asn1.RawValue{Tag: tag, Class: asn1.ClassUniversal, Bytes: []byte(value)},
		}})
	}
	der, err := asn1.Marshal(rdns)
	return der, warnings, err
}

// oneline prints a Name the way OpenSSL 3's default (-nameopt oneline) does:
// "C = US, O = Example, CN = x".
func oneline(raw []byte) string {
	var rdns pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &rdns); err != nil {
		return ""
	}
	var parts []string
	for _, rdn := range rdns {
		var sub []string
		for _, atv := range rdn {
			v := fmt.Sprint(atv.Value)
			if strings.ContainsAny(v, ",+;<>\"#=") || strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
				v = `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
			}
			sub = append(sub, shortName(atv.Type)+" = "+v)
		}
		parts = append(parts, strings.Join(sub, " + "))
	}
	return strings.Join(parts, ", ")
}
