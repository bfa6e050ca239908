set terminal pngcairo size 900,600 font 'sans,10' noenhanced
set output 'correlation_ffn.png'
set title 'FFN layer-wise correlation (held-out runs; synthetic: ground-truth predecessors)'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:1.02]
set grid ytics
set ylabel 'probability a neuron fires'
set xtics rotate by -25 scale 0 font 'sans,8'
set key below
plot 'correlation_ffn.dat' using 2:xtic(1) title 'base rate', \
     '' using 3 title 'given both top-2 predecessors fired', \
     '' using 4 title 'given neither fired'
