package gh

// The agreed method set lives in one file per API area:
//
//	client.go    New, the GraphQL poster, error types
//	transport.go the rate-limit transport
//	search.go    SearchCode
//	hydrate.go   Hydrate
//	propose.go   Propose, UpdatePR, Decorate
//	rest.go      GetContents, PutContents
//	scan.go      ListRepos, CountRepos, ListFiles
