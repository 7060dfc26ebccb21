package federation

// IsDNS1123Label reports whether s is a lower-case RFC 1123 label: 1 to 63
// characters of a-z, 0-9 and '-', starting and ending with a letter or digit.
// It is the rule of Kubernetes' validation.IsDNS1123Label without the regular
// expression, as it runs on every query.
func IsDNS1123Label(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// IsDNS1035Label reports whether s is a lower-case RFC 1035 label, the rule
// for Service names: an RFC 1123 label that starts with a letter.
func IsDNS1035Label(s string) bool {
	return IsDNS1123Label(s) && s[0] >= 'a' && s[0] <= 'z'
}
