package main

import cloudevents "github.com/cloudevents/sdk-go/v2"

var _ = cloudevents.NewEvent
func main() {}
