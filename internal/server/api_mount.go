package server

import "net/http"

// mountAPI mounts the access-management API on mux.
func (s *Server) mountAPI(mux *http.ServeMux) {}
