package access

// Modes are the authentication modes, in the only order a cluster moves
// through them.
func Modes() []Mode { return []Mode{ModeConfigMap, ModeAPIAndConfigMap, ModeAPI} }
