package main

import "github.com/vts/dossier/internal/sopsfile"

// loadIdentities loads the user's age keys, as a refusal a person can act on.
func loadIdentities() (*sopsfile.Identities, error) {
	ids, err := sopsfile.LoadIdentities()
	if err != nil {
		return nil, refused("%v", err)
	}
	return ids, nil
}
