#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2006,SC2162  # the launcher's code is kept verbatim: its quirks are what is tested
# How Discourse's ./launcher turns containers/<config>.yml `env:` into `docker run -e KEY=value` arguments.
#
# The env_ruby program, the input assembly and the `while read i` loop below are the launcher's own code
# (discourse/discourse_docker, file `launcher`, function set_template_info, commit
# 002e8fd889c98b1e89f2540bc1a4a0f7061ee334, MIT licence), kept verbatim so that the test runs the launcher's
# shell semantics, not an imitation. Adaptations, marked ADAPTED: the launcher runs the Ruby program inside
# the discourse/base image (`$docker_path run ... $image ruby -e`), here it runs on the host's Ruby (one
# process for the batch); and no `templates:` are merged (the tests' app.yml files name none that exist here).
#
# Usage: launcher_env.sh CONFIG_NAME FILE...   For each FILE, prints "ok=1" or "ok=0", a NUL, then every
# element of the launcher's env array followed by a NUL, then one extra NUL.
set -u
config=$1
shift

read -r -d '' env_ruby << 'RUBY'
    require 'yaml'

    input=STDIN.readlines.join
    # default to UTF-8 for the dbs sake
    env = {'LANG' => 'en_US.UTF-8'}
    input.split('_FILE_SEPERATOR_').each do |yml|
       yml.strip!
       begin
         env.merge!(YAML.load(yml)['env'] || {})
       rescue Psych::SyntaxError => e
        puts e
        puts "*ERROR."
       rescue => e
        puts yml
        p e
       end
    end
    puts env.map{|k,v| "-e\n#{k}=#{v}" }.join("\n")
RUBY

# ADAPTED: the launcher starts one Ruby per config; for a batch of files, one host Ruby evaluates the same
# env_ruby program once per file (STDIN reopened on that file's input, $stdout captured), which is what
# `cat "$tmp_input_file" | ruby -e "$env_ruby"` gives, without a Ruby start-up per file.
read -r -d '' host_ruby << 'RUBY'
    require 'stringio'
    code = ARGV.shift
    ARGV.each_slice(2) do |input_path, output_path|
      STDIN.reopen(input_path)
      captured = StringIO.new
      $stdout = captured
      begin
        Object.new.instance_eval { eval(code, binding) }
      ensure
        $stdout = STDOUT
      end
      File.write(output_path, captured.string)
    end
RUBY

work=$(mktemp -d)
pairs=()
index=0
for config_file in "$@"; do
    config_data=$(cat $config_file)
    input="hack: true"
    # we always want our config file last so it takes priority
    input="$input _FILE_SEPERATOR_ $config_data"

    tmp_input_file="$work/input$index"

    echo "$input" > "$tmp_input_file"
    pairs+=("$tmp_input_file" "$work/raw$index")
    index=$((index + 1))
done
ruby -e "$host_ruby" "$env_ruby" "${pairs[@]}"

index=0
for config_file in "$@"; do
    raw=`cat "$work/raw$index"`   # ADAPTED: the output of the launcher's `raw=\`... ruby -e "$env_ruby"\``
    index=$((index + 1))

    env=()
    ok=1
    while read i; do
      if [ "$i" == "*ERROR." ]; then
        ok=0
      elif [ -n "$i" ]; then
        env[${#env[@]}]="${i//\{\{config\}\}/${config}}"
      fi
    done <<< "$raw"

    printf 'ok=%s\0' "$ok"
    for element in "${env[@]}"; do
        printf '%s\0' "$element"
    done
    printf '\0'
done
rm -rf "$work"
