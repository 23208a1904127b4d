package s3store_test

import (
	"fmt"

	"github.com/stockroomhq/stockroom/blobstore/s3store"
)

func ExampleParseURL() {
	cfg, err := s3store.ParseURL("s3://assets/stockroom?endpoint=127.0.0.1:9000&tls=false&path-style=true")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Bucket, cfg.Prefix, cfg.Endpoint, cfg.DisableTLS, cfg.Addressing == s3store.AddressingPath)
	// Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
	// when cfg.AccessKey is empty; then:
	//	store, err := s3store.New(ctx, cfg)
	fmt.Println(cfg.URL())
	// Output:
	// assets stockroom/ 127.0.0.1:9000 true true
	// s3://assets/stockroom/?endpoint=127.0.0.1:9000&path-style=true&tls=false
}
