package localsts

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// xmlNamespace is the namespace of every STS XML body.
const xmlNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// wantsJSON reports whether the client asked for STS's JSON rendering
// (aws-iam-authenticator does); everything else gets XML, the default.
func wantsJSON(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
				return true
			}
		}
	}
	return false
}

type errorDetail struct {
	Type    string `xml:"Type" json:"Type"`
	Code    string `xml:"Code" json:"Code"`
	Message string `xml:"Message" json:"Message"`
}

type errorResponse struct {
	XMLName   xml.Name    `xml:"ErrorResponse" json:"-"`
	Xmlns     string      `xml:"xmlns,attr" json:"-"`
	Error     errorDetail `xml:"Error" json:"Error"`
	RequestID string      `xml:"RequestId" json:"RequestId"`
}

// writeError renders e as STS does: Sender for the client's faults,
// Receiver for the server's.
func writeError(w http.ResponseWriter, req *request, e *APIError) {
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	ns := req.namespace
	if ns == "" {
		ns = xmlNamespace
	}
	body := errorResponse{Xmlns: ns, Error: errorDetail{Type: typ, Code: e.Code, Message: e.Message}, RequestID: req.id}
	var buf bytes.Buffer
	var err error
	if req.json {
		err = json.NewEncoder(&buf).Encode(body)
	} else {
		err = xml.NewEncoder(&buf).Encode(body)
	}
	if err != nil {
		// The structures above always encode; this is defensive.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	write(w, req.json, e.Status, buf.Bytes())
}

// writeResult renders an ACTIONResponse holding ACTIONResult and the
// request ID.
func writeResult(w http.ResponseWriter, req *request, action string, result any) {
	var buf bytes.Buffer
	if req.json {
		body := map[string]any{action + "Response": map[string]any{
			action + "Result":  result,
			"ResponseMetadata": map[string]string{"RequestId": req.id},
		}}
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			writeError(w, req, apiError(http.StatusInternalServerError, CodeInternalFailure, "An internal error occurred."))
			return
		}
	} else if err := encodeXMLResult(&buf, req.namespace, action, result, req.id); err != nil {
		writeError(w, req, apiError(http.StatusInternalServerError, CodeInternalFailure, "An internal error occurred."))
		return
	}
	write(w, req.json, http.StatusOK, buf.Bytes())
}

func encodeXMLResult(buf *bytes.Buffer, namespace, action string, result any, requestID string) error {
	if namespace == "" {
		namespace = xmlNamespace
	}
	enc := xml.NewEncoder(buf)
	start := xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace}},
	}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
		return err
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return err
	}
	return enc.Flush()
}

func write(w http.ResponseWriter, asJSON bool, status int, body []byte) {
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/xml")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing to do
}
