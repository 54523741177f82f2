# Run inside a sandbox by tests/integration/70-load.sh and make bench (sh
# flood.sh, with ./dnsbench beside it, allowlist web.test and *.wild.test):
# the allowed name's latency alone, then 100,000 queries from 8 clients over
# 100,000 names (half allowed and forwarded, half refused) with the allowed
# name asked again during the flood, then the allowed name used.  The host
# measures between the steps: it creates go1/go2 after ready1/ready2.
ns=$(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)
w() { n=0; while [ ! -e "$1" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done; }
./dnsbench "$ns" web.test 200 >/dev/null
echo "alone $(./dnsbench "$ns" web.test 500)"
: > ready1; w go1
./dnsbench "$ns" 'f%u.wild.test' 12500 4 > fa.out &
./dnsbench "$ns" 'r%u.refused.test' 12500 4 > fr.out &
sleep 0.5
echo "during $(./dnsbench "$ns" web.test 500)"
wait
echo "allowed $(cat fa.out)"
echo "refused $(cat fr.out)"
: > ready2; w go2
echo "web $(curl -s -m 5 http://web.test/)"
