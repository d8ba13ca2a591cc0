package sopsfile

// sopsVersion is the version of the sops library dossier is built with,
// written into each file's metadata as sops itself does. It is spelled out
// rather than read from sops' version package, which links a CLI framework
// and a Markdown renderer into dossier and initialises them in every
// process (TestSopsVersion holds the two equal when go.mod moves sops).
const sopsVersion = "3.13.3"
