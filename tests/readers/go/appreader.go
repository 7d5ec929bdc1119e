// appreader: the configuration readers of Grafana, Gitea and Mattermost, built at test time from Debian's
// golang-go and golang-gopkg-ini.v1-dev (GOPATH=/usr/share/gocode, GO111MODULE=off).
//
// stdin: a JSON array of requests {"mode": "grafana"|"gitea"|"mattermost", "text": "...", "env": {...}}
// stdout: a JSON array of answers {"values": {...}} or {"error": "..."}, one per request, in order.
//
// Each mode loads the text the way the application does (see tests/readers/README.md for the sources):
//   grafana:    ini.Load (default LoadOptions) of conf/defaults.ini's [smtp] section, then ini.Load of the user
//               file whose non-empty keys override the defaults (loadSpecifiedConfigFile), then the value
//               expanders in priority order (env -10, file -5, and Grafana Enterprise's vault), then
//               Key.String() (which also resolves go-ini's %(key)s references). values = {section: {key: value}}.
//   gitea:      ini.Empty(LoadOptions{KeyValueDelimiterOnWrite: " = ", IgnoreContinuation: true}).Append(text),
//               Key.String() as MapTo does; [mailer] FROM is parsed with net/mail.ParseAddress as
//               modules/setting/mailer.go does ("mailer.FROM:name" / "mailer.FROM:address" in values["*"]).
//   mattermost: encoding/json into typed EmailSettings (pointer fields: null/absent stays null).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"strings"

	"gopkg.in/ini.v1"
)

type request struct {
	Mode string            `json:"mode"`
	Text string            `json:"text"`
	Env  map[string]string `json:"env"`
}

type answer struct {
	Values interface{} `json:"values,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// The [smtp] section of Grafana's conf/defaults.ini (the values an empty or absent user key falls back to).
const grafanaSMTPDefaults = `[smtp]
enabled = false
host = localhost:25
user =
password =
cert_file =
key_file =
skip_verify = false
from_address = admin@grafana.localhost
from_name = Grafana
ehlo_identity =
startTLS_policy =
`

// Grafana's expander pattern: $__name{arg} or ${arg}.
var expanderPattern = regexp.MustCompile(`\$(|__\w+){([^}]+)}`)

type expander struct {
	name   string
	expand func(arg string, env map[string]string) (string, error)
}

func envExpand(arg string, env map[string]string) (string, error) {
	value := env[arg]
	if arg == "HOSTNAME" && value == "" {
		return os.Hostname()
	}
	return value, nil
}

func fileExpand(arg string, env map[string]string) (string, error) {
	if _, err := os.Stat(arg); err != nil {
		return "", err
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// Grafana Enterprise registers a "vault" expander; without a reachable vault it cannot resolve anything.
func vaultExpand(arg string, env map[string]string) (string, error) {
	return "", errors.New("vault expander: no vault configured for " + arg)
}

var expanders = []expander{{"env", envExpand}, {"file", fileExpand}, {"vault", vaultExpand}}

func applyExpander(s string, e expander, env map[string]string) (string, error) {
	for _, match := range expanderPattern.FindAllStringSubmatch(s, -1) {
		if match[1] == "__"+e.name || (match[1] == "" && e.name == "env") {
			updated, err := e.expand(match[2], env)
			if err != nil {
				return "", err
			}
			s = strings.Replace(s, match[0], updated, 1)
		}
	}
	return s, nil
}

func sectionValues(file *ini.File) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, section := range file.Sections() {
		keys := map[string]string{}
		for _, key := range section.Keys() {
			keys[key.Name()] = key.String()
		}
		out[section.Name()] = keys
	}
	return out
}

func readGrafana(req request) (interface{}, error) {
	master, err := ini.Load([]byte(grafanaSMTPDefaults))
	if err != nil {
		return nil, err
	}
	user, err := ini.Load([]byte(req.Text))
	if err != nil {
		return nil, fmt.Errorf("failed to parse: %w", err)
	}
	for _, section := range user.Sections() {
		for _, key := range section.Keys() {
			if key.Value() == "" {
				continue
			}
			target, err := master.GetSection(section.Name())
			if err != nil {
				target, _ = master.NewSection(section.Name())
			}
			targetKey, err := target.GetKey(key.Name())
			if err != nil {
				targetKey, _ = target.NewKey(key.Name(), key.Value())
			}
			targetKey.SetValue(key.Value())
		}
	}
	for _, e := range expanders {
		for _, section := range master.Sections() {
			for _, key := range section.Keys() {
				updated, err := applyExpander(key.Value(), e, req.Env)
				if err != nil {
					return nil, fmt.Errorf("expanding %s.%s with %s: %w", section.Name(), key.Name(), e.name, err)
				}
				key.SetValue(updated)
			}
		}
	}
	return sectionValues(master), nil
}

func readGitea(req request) (interface{}, error) {
	file := ini.Empty(ini.LoadOptions{KeyValueDelimiterOnWrite: " = ", IgnoreContinuation: true})
	if err := file.Append([]byte(req.Text)); err != nil {
		return nil, fmt.Errorf("failed to load config: %w", err)
	}
	values := sectionValues(file)
	if mailer, err := file.GetSection("mailer"); err == nil && mailer.HasKey("FROM") {
		from := mailer.Key("FROM").String()
		if from != "" {
			parsed, err := mail.ParseAddress(from)
			if err != nil {
				return nil, fmt.Errorf("invalid mailer.FROM (%s): %w", from, err)
			}
			values["*"] = map[string]string{"mailer.FROM:name": parsed.Name, "mailer.FROM:address": parsed.Address}
		}
	}
	return values, nil
}

type mattermostEmailSettings struct {
	SendEmailNotifications            *bool   `json:"SendEmailNotifications"`
	SMTPServer                        *string `json:"SMTPServer"`
	SMTPPort                          *string `json:"SMTPPort"`
	ConnectionSecurity                *string `json:"ConnectionSecurity"`
	EnableSMTPAuth                    *bool   `json:"EnableSMTPAuth"`
	SMTPUsername                      *string `json:"SMTPUsername"`
	SMTPPassword                      *string `json:"SMTPPassword"`
	SkipServerCertificateVerification *bool   `json:"SkipServerCertificateVerification"`
	FeedbackEmail                     *string `json:"FeedbackEmail"`
	FeedbackName                      *string `json:"FeedbackName"`
	ReplyToAddress                    *string `json:"ReplyToAddress"`
}

type mattermostConfig struct {
	EmailSettings mattermostEmailSettings `json:"EmailSettings"`
}

func readMattermost(req request) (interface{}, error) {
	var config mattermostConfig
	if err := json.Unmarshal([]byte(req.Text), &config); err != nil {
		return nil, err
	}
	return map[string]interface{}{"EmailSettings": config.EmailSettings}, nil
}

func main() {
	var requests []request
	if err := json.NewDecoder(os.Stdin).Decode(&requests); err != nil {
		fmt.Fprintln(os.Stderr, "appreader: bad request:", err)
		os.Exit(2)
	}
	answers := make([]answer, 0, len(requests))
	for _, req := range requests {
		var values interface{}
		var err error
		switch req.Mode {
		case "grafana":
			values, err = readGrafana(req)
		case "gitea":
			values, err = readGitea(req)
		case "mattermost":
			values, err = readMattermost(req)
		default:
			fmt.Fprintln(os.Stderr, "appreader: unknown mode", req.Mode)
			os.Exit(2)
		}
		if err != nil {
			answers = append(answers, answer{Error: err.Error()})
		} else {
			answers = append(answers, answer{Values: values})
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(answers); err != nil {
		fmt.Fprintln(os.Stderr, "appreader:", err)
		os.Exit(2)
	}
}
