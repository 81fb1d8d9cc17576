package openssl

import (
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// hexBlock formats b as openssl does: lowercase pairs joined by ':', n per line, each line
// indented, every line but the last ending with ':'.
func hexBlock(b []byte, n int, indent string, upper bool) string {
	var lines []string
	for i := 0; i < len(b); i += n {
		chunk := b[i:min(i+n, len(b))]
		parts := make([]string, len(chunk))
		for j, c := range chunk {
			if upper {
				parts[j] = fmt.Sprintf("%02X", c)
			} else {
				parts[j] = fmt.Sprintf("%02x", c)
			}
		}
		lines = append(lines, indent+strings.Join(parts, ":"))
	}
	return strings.Join(lines, ":\n") + "\n"
}

func sigAlgName(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.SHA256WithRSA:
		return "sha256WithRSAEncryption"
	case x509.SHA384WithRSA:
		return "sha384WithRSAEncryption"
	case x509.SHA512WithRSA:
		return "sha512WithRSAEncryption"
	case x509.SHA1WithRSA:
		return "sha1WithRSAEncryption"
	case x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS:
		return "rsassaPss"
	case x509.ECDSAWithSHA256:
		return "ecdsa-with-SHA256"
	case x509.ECDSAWithSHA384:
		return "ecdsa-with-SHA384"
	case x509.PureEd25519:
		return "ED25519"
	}
	return a.String()
}

func publicKeyText(pub any, indent string) string {
	var b strings.Builder
	switch k := pub.(type) {
	case *rsa.PublicKey:
		fmt.Fprintf(&b, "%sPublic Key Algorithm: rsaEncryption\n", indent)
		fmt.Fprintf(&b, "%s    Public-Key: (%d bit)\n", indent, k.N.BitLen())
		fmt.Fprintf(&b, "%s    Modulus:\n", indent)
		// A leading zero byte shows the modulus is positive, as in DER.
		b.WriteString(hexBlock(append([]byte{0}, k.N.Bytes()...), 15, indent+"        ", false))
		fmt.Fprintf(&b, "%s    Exponent: %d (0x%x)\n", indent, k.E, k.E)
	default:
		fmt.Fprintf(&b, "%sPublic Key Algorithm: %T\n", indent, pub)
	}
	return b.String()
}

func asn1Time(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s %2d %02d:%02d:%02d %d GMT", t.Format("Jan"), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Year())
}

func serialText(n *big.Int) string {
	if n.Sign() >= 0 && n.BitLen() < 63 {
		return fmt.Sprintf("        Serial Number: %d (0x%x)\n", n, n)
	}
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return "        Serial Number:\n" + hexBlock(b, len(b)+1, "            ", false)
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "Digital Signature"},
	{x509.KeyUsageContentCommitment, "Non Repudiation"},
	{x509.KeyUsageKeyEncipherment, "Key Encipherment"},
	{x509.KeyUsageDataEncipherment, "Data Encipherment"},
	{x509.KeyUsageKeyAgreement, "Key Agreement"},
	{x509.KeyUsageCertSign, "Certificate Sign"},
	{x509.KeyUsageCRLSign, "CRL Sign"},
	{x509.KeyUsageEncipherOnly, "Encipher Only"},
	{x509.KeyUsageDecipherOnly, "Decipher Only"},
}

var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageServerAuth:      "TLS Web Server Authentication",
	x509.ExtKeyUsageClientAuth:      "TLS Web Client Authentication",
	x509.ExtKeyUsageCodeSigning:     "Code Signing",
	x509.ExtKeyUsageEmailProtection: "E-mail Protection",
	x509.ExtKeyUsageTimeStamping:    "Time Stamping",
	x509.ExtKeyUsageOCSPSigning:     "OCSP Signing",
	x509.ExtKeyUsageAny:             "Any Extended Key Usage",
}

var (
	oidSKI = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidKU  = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidBC  = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidAKI = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidEKU = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidCRL = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidAIA = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidPol = asn1.ObjectIdentifier{2, 5, 29, 32}
	// extNames are OpenSSL's long names (printed) and short names (what x509 -ext takes).
	extNames = map[string]struct{ long, short string }{
		oidSKI.String(): {"X509v3 Subject Key Identifier", "subjectKeyIdentifier"},
		oidKU.String():  {"X509v3 Key Usage", "keyUsage"},
		oidSAN.String(): {"X509v3 Subject Alternative Name", "subjectAltName"},
		oidBC.String():  {"X509v3 Basic Constraints", "basicConstraints"},
		oidAKI.String(): {"X509v3 Authority Key Identifier", "authorityKeyIdentifier"},
		oidEKU.String(): {"X509v3 Extended Key Usage", "extendedKeyUsage"},
		oidCRL.String(): {"X509v3 CRL Distribution Points", "crlDistributionPoints"},
		oidAIA.String(): {"Authority Information Access", "authorityInfoAccess"},
		oidPol.String(): {"X509v3 Certificate Policies", "certificatePolicies"},
	}
)

// sanText lists subject alternative names like openssl.
func sanText(dns, emails []string, ips []net.IP, uris []string) string {
	var parts []string
	for _, d := range dns {
		parts = append(parts, "DNS:"+d)
	}
	for _, ip := range ips {
		parts = append(parts, "IP Address:"+ip.String())
	}
	for _, e := range emails {
		parts = append(parts, "email:"+e)
	}
	for _, u := range uris {
		parts = append(parts, "URI:"+u)
	}
	return strings.Join(parts, ", ")
}

// extensionsText prints exts, X509v3 extensions of c (a certificate or, see csrText, a
// request), each name at indent and its value four spaces further in.
func extensionsText(c *x509.Certificate, exts []pkix.Extension, indent string) string {
	var b strings.Builder
	for _, ext := range exts {
		name := extNames[ext.Id.String()].long
		if name == "" {
			name = ext.Id.String()
		}
		crit := ""
		if ext.Critical {
			crit = "critical"
		}
		fmt.Fprintf(&b, "%s%s: %s\n", indent, name, crit)
		in := indent + "    "
		switch {
		case ext.Id.Equal(oidSKI):
			b.WriteString(hexBlock(c.SubjectKeyId, 1<<10, in, true))
		case ext.Id.Equal(oidAKI):
			b.WriteString(hexBlock(c.AuthorityKeyId, 1<<10, in, true))
		case ext.Id.Equal(oidBC):
			v := "CA:FALSE"
			if c.IsCA {
				v = "CA:TRUE"
				if c.MaxPathLen > 0 || c.MaxPathLenZero {
					v += fmt.Sprintf(", pathlen:%d", c.MaxPathLen)
				}
			}
			b.WriteString(in + v + "\n")
		case ext.Id.Equal(oidKU):
			var names []string
			for _, k := range keyUsageNames {
				if c.KeyUsage&k.bit != 0 {
					names = append(names, k.name)
				}
			}
			b.WriteString(in + strings.Join(names, ", ") + "\n")
		case ext.Id.Equal(oidEKU):
			var names []string
			for _, u := range c.ExtKeyUsage {
				names = append(names, extKeyUsageNames[u])
			}
			for _, u := range c.UnknownExtKeyUsage {
				names = append(names, u.String())
			}
			b.WriteString(in + strings.Join(names, ", ") + "\n")
		case ext.Id.Equal(oidSAN):
			var uris []string
			for _, u := range c.URIs {
				uris = append(uris, u.String())
			}
			b.WriteString(in + sanText(c.DNSNames, c.EmailAddresses, c.IPAddresses, uris) + "\n")
		case ext.Id.Equal(oidCRL):
			for _, p := range c.CRLDistributionPoints {
				b.WriteString(in + "Full Name:\n" + in + "  URI:" + p + "\n")
			}
		case ext.Id.Equal(oidAIA):
			for _, u := range c.OCSPServer {
				b.WriteString(in + "OCSP - URI:" + u + "\n")
			}
			for _, u := range c.IssuingCertificateURL {
				b.WriteString(in + "CA Issuers - URI:" + u + "\n")
			}
		default:
			b.WriteString(hexBlock(ext.Value, 16, in, false))
		}
	}
	return b.String()
}

func certText(c *x509.Certificate) string {
	var b strings.Builder
	b.WriteString("Certificate:\n    Data:\n")
	fmt.Fprintf(&b, "        Version: %d (0x%x)\n", c.Version, c.Version-1)
	b.WriteString(serialText(c.SerialNumber))
	fmt.Fprintf(&b, "        Signature Algorithm: %s\n", sigAlgName(c.SignatureAlgorithm))
	fmt.Fprintf(&b, "        Issuer: %s\n", oneline(c.RawIssuer))
	b.WriteString("        Validity\n")
	fmt.Fprintf(&b, "            Not Before: %s\n", asn1Time(c.NotBefore))
	fmt.Fprintf(&b, "            Not After : %s\n", asn1Time(c.NotAfter))
	fmt.Fprintf(&b, "        Subject: %s\n", oneline(c.RawSubject))
	b.WriteString("        Subject Public Key Info:\n")
	b.WriteString(publicKeyText(c.PublicKey, "            "))
	if len(c.Extensions) > 0 {
		b.WriteString("        X509v3 extensions:\n")
		b.WriteString(extensionsText(c, c.Extensions, "            "))
	}
	fmt.Fprintf(&b, "    Signature Algorithm: %s\n", sigAlgName(c.SignatureAlgorithm))
	b.WriteString("    Signature Value:\n")
	b.WriteString(hexBlock(c.Signature, 18, "        ", false))
	return b.String()
}

func csrText(r *x509.CertificateRequest) string {
	var b strings.Builder
	b.WriteString("Certificate Request:\n    Data:\n")
	fmt.Fprintf(&b, "        Version: %d (0x%x)\n", r.Version+1, r.Version)
	fmt.Fprintf(&b, "        Subject: %s\n", oneline(r.RawSubject))
	b.WriteString("        Subject Public Key Info:\n")
	b.WriteString(publicKeyText(r.PublicKey, "            "))
	b.WriteString("        Attributes:\n")
	if len(r.Extensions) == 0 {
		b.WriteString("            (none)\n")
		b.WriteString("            Requested Extensions:\n")
	} else {
		b.WriteString("        Requested Extensions:\n")
		// Reuse the certificate printer: a request's extensions parse into the same fields.
		c := &x509.Certificate{Extensions: r.Extensions, DNSNames: r.DNSNames, EmailAddresses: r.EmailAddresses, IPAddresses: r.IPAddresses, URIs: r.URIs}
		for _, ext := range r.Extensions {
			fillFromExtension(c, ext)
		}
		b.WriteString(extensionsText(c, c.Extensions, "            "))
	}
	fmt.Fprintf(&b, "    Signature Algorithm: %s\n", sigAlgName(r.SignatureAlgorithm))
	b.WriteString("    Signature Value:\n")
	b.WriteString(hexBlock(r.Signature, 18, "        ", false))
	return b.String()
}

// fillFromExtension decodes the extensions x509 does not expose on a CertificateRequest.
func fillFromExtension(c *x509.Certificate, ext pkix.Extension) {
	switch {
	case ext.Id.Equal(oidBC):
		var bc struct {
			IsCA       bool `asn1:"optional"`
			MaxPathLen int  `asn1:"optional,default:-1"`
		}
		if _, err := asn1.Unmarshal(ext.Value, &bc); err == nil {
			c.IsCA, c.MaxPathLen = bc.IsCA, bc.MaxPathLen
		}
	case ext.Id.Equal(oidKU):
		var bits asn1.BitString
		if _, err := asn1.Unmarshal(ext.Value, &bits); err == nil {
			for i := 0; i < 9; i++ {
				if bits.At(i) != 0 {
					c.KeyUsage |= 1 << uint(i)
				}
			}
		}
	case ext.Id.Equal(oidEKU):
		var oids []asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(ext.Value, &oids); err == nil {
			c.UnknownExtKeyUsage = oids
		}
	case ext.Id.Equal(oidSKI):
		var id []byte
		if _, err := asn1.Unmarshal(ext.Value, &id); err == nil {
			c.SubjectKeyId = id
		}
	}
}
