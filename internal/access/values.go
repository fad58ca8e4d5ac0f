package access

// EntryTypes are the access entry types ParseEntryType accepts, in the
// order the EKS API reference lists them (CreateAccessEntry, "type").
// Shell completion offers them.
func EntryTypes() []EntryType {
	return []EntryType{EntryStandard, EntryEC2Linux, EntryEC2Windows, EntryFargateLinux, EntryHybridLinux, EntryEC2}
}

// Modes are the authentication modes, in the only order a cluster moves
// through them.
func Modes() []Mode { return []Mode{ModeConfigMap, ModeAPIAndConfigMap, ModeAPI} }
